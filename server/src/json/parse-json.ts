/** Deepest nesting of objects and arrays accepted in a request body or a sync frame. */
export const MAX_JSON_DEPTH = 64;

/** Why a text is refused: its message says what is wrong, and carries nothing of the text itself. */
export class JsonInputError extends Error {
  constructor(
    readonly reason: 'syntax' | 'depth' | 'proto',
    message: string,
  ) {
    super(message);
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Throws when objects and arrays nest deeper than `maxDepth`. A loop over the characters, not a
 * recursive walk, so that no input can exhaust the stack; brackets inside strings do not count.
 * Malformed text is left for JSON.parse to refuse.
 */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw new JsonInputError('depth', `JSON may nest objects and arrays at most ${maxDepth} levels deep`);
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
}

/**
 * JSON.parse keeps a "__proto__" key as an own property, but zod's records copy keys by
 * assignment, which turns it into the copy's prototype: the key would vanish instead of being
 * refused as an unknown field. No wire shape has such a key, so a text carrying one is refused.
 */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new JsonInputError('proto', '"__proto__" is not allowed as a key');
  return value;
}

/**
 * The one JSON parser for what clients send, over HTTP and sync alike: standard JSON, nested at
 * most `maxDepth` deep, without "__proto__" keys. Anything else throws a JsonInputError.
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  checkDepth(text, maxDepth);
  try {
    return JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    if (error instanceof JsonInputError) throw error;
    throw new JsonInputError('syntax', 'not valid JSON');
  }
}
