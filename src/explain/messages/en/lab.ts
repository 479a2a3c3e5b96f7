// English messages of the 'lab' area (keys start with 'lab.').
export const lab = {
} as const;
