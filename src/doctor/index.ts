// 'sockscope/doctor': doctor's engine for library users who keep their own
// samples (an exporter, a test): diagnose() over samples, the thresholds and
// the kinds. A subpath of its own so that the main entry, which every CLI
// command imports, does not load it; runDoctor() is on the main entry.
export { diagnose, skippedChecks, middleSockets, DEFAULT_THRESHOLDS } from './diagnose.js';
export { readCounters, readFdUse } from './sample.js';
export { FINDING_KINDS, SEVERITIES } from './types.js';
export type { DoctorReport, DoctorSample, Finding, FindingKind, FindingProcess, Severity, Thresholds } from './types.js';
export { runDoctor, type DoctorOptions } from './run.js';
