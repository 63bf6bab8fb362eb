/**
 * A strict JSON parser (RFC 8259) that also rejects duplicate object keys, which `JSON.parse`
 * accepts by keeping the last one. Two readers of such a document can disagree on its meaning,
 * so the public route's request bodies and the `CALLER_KEYS` secret are parsed here.
 *
 * @module
 */

/**
 * A parse failure. Its message never contains a character of the input, which may be a secret.
 */
export class StrictJsonError extends Error {
  override readonly name = "StrictJsonError";
  /** Offset in UTF-16 code units where parsing stopped. */
  readonly offset: number;
  /** The decoded duplicate key, for a duplicate key error. Callers decide whether to show it. */
  readonly duplicateKey?: string;

  constructor(message: string, offset: number, duplicateKey?: string) {
    super(message);
    this.offset = offset;
    if (duplicateKey !== undefined) this.duplicateKey = duplicateKey;
  }
}

/** Nesting limit: the documents parsed here are at most two levels deep. */
const MAX_DEPTH = 8;

// Sticky patterns for one token each, matched at the current offset.
const WHITESPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Parses `text` as one JSON value. Throws {@link StrictJsonError} for anything `JSON.parse` would
 * reject, for duplicate keys (compared after unescaping, so `"a"` and `"\u0061"` collide), for a
 * leading byte order mark and for nesting deeper than eight levels.
 */
export function parseStrictJson(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipWhitespace();
  if (!parser.atEnd()) parser.fail("unexpected text after the JSON value");
  return value;
}

class Parser {
  readonly #text: string;
  #offset = 0;

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.#offset === this.#text.length;
  }

  fail(reason: string, duplicateKey?: string): never {
    throw new StrictJsonError(`${reason} at offset ${this.#offset}`, this.#offset, duplicateKey);
  }

  skipWhitespace(): void {
    this.#match(WHITESPACE);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.skipWhitespace();
    const next = this.#text[this.#offset];
    if (next === "{") return this.#object(depth);
    if (next === "[") return this.#array(depth);
    if (next === '"') return this.#string();
    const token = this.#match(NUMBER) ?? this.#match(LITERAL);
    if (token === undefined) this.fail("expected a value");
    return JSON.parse(token) as unknown;
  }

  #object(depth: number): Record<string, unknown> {
    // A null prototype, so a "__proto__" key is an ordinary key.
    const result = Object.create(null) as Record<string, unknown>;
    const seen = new Set<string>();
    this.#offset++;
    this.skipWhitespace();
    if (this.#take("}")) return result;
    do {
      this.skipWhitespace();
      if (this.#text[this.#offset] !== '"') this.fail("expected a string key");
      const keyOffset = this.#offset;
      const key = this.#string();
      if (seen.has(key)) {
        this.#offset = keyOffset;
        this.fail("duplicate key", key);
      }
      seen.add(key);
      this.skipWhitespace();
      if (!this.#take(":")) this.fail('expected ":" after a key');
      result[key] = this.value(depth + 1);
      this.skipWhitespace();
    } while (this.#take(","));
    if (!this.#take("}")) this.fail('expected "," or "}" in an object');
    return result;
  }

  #array(depth: number): unknown[] {
    const result: unknown[] = [];
    this.#offset++;
    this.skipWhitespace();
    if (this.#take("]")) return result;
    do {
      result.push(this.value(depth + 1));
      this.skipWhitespace();
    } while (this.#take(","));
    if (!this.#take("]")) this.fail('expected "," or "]" in an array');
    return result;
  }

  #string(): string {
    const token = this.#match(STRING);
    if (token === undefined)
      this.fail("invalid string (unescaped control character or bad escape)");
    return JSON.parse(token) as string;
  }

  #take(character: string): boolean {
    if (this.#text[this.#offset] !== character) return false;
    this.#offset++;
    return true;
  }

  #match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.#offset;
    const match = pattern.exec(this.#text);
    if (match === null) return undefined;
    this.#offset += match[0].length;
    return match[0];
  }
}
