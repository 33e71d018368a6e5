// The identity of nicks and game titles, shared by players, accounts and the HTTP layer.

/** The identity of a nick or a game title: case and surrounding/double spaces do not matter. */
export const normaliseKey = (value: string): string => value.trim().replace(/\s+/g, ' ').toLowerCase();
