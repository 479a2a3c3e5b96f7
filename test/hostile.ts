// What the hostile-name tests check for (issue 9 §1), shared by the view
// tests and the live ones.

/** What must never reach a terminal: C0 controls but \n (our own line ends), DEL, C1 controls, bidi controls. */
export const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\xad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
