// English messages of the 'watch' area (keys start with 'watch.').
export const watch = {
} as const;
