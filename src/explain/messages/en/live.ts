// English messages of the 'live' area: the live collector and its event
// stream (keys keep the prefix of the view that shows them).
export const live = {
  'watch.event.accepted': 'accepted',
} as const;
