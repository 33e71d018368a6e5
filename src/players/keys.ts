// The identity of nicks and game titles, shared by players, accounts and the HTTP layer.

/**
 * The identity of a nick or a game title: letter case, surrounding/double spaces and Unicode form do not
 * matter. NFKC makes one key of a composed and a decomposed "é", of full-width and ASCII letters, of "Ⅳ"
 * and "IV": titles typed on different keyboards are the same game.
 */
export const normaliseKey = (value: string): string => value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
