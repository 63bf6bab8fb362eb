/**
 * The few DER (ASN.1) operations needed to tell key formats apart and to wrap a PKCS#1 RSA key in
 * PKCS#8. It reads only definite lengths, which is all DER allows.
 *
 * @module
 */

/** One DER element: its tag, and where its content starts and ends in the buffer. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** DER tag numbers used by key structures. */
export const DER_TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
} as const;

/**
 * Reads the element at `offset`, or returns `undefined` when the bytes stop before the element
 * does (a truncated key) or the length is not valid DER.
 */
export function readElement(bytes: Uint8Array, offset: number): DerElement | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) return undefined;

  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    start += count;
  }

  const end = start + length;
  return end <= bytes.length ? { tag, start, end } : undefined;
}

/** Reads the elements directly inside a constructed element, or `undefined` if any is cut short. */
export function readChildren(bytes: Uint8Array, parent: DerElement): DerElement[] | undefined {
  const children: DerElement[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const child = readElement(bytes, offset);
    if (!child || child.end > parent.end) return undefined;
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Encodes one DER element from its tag and content. */
export function encodeElement(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length;
  let header: number[];
  if (length < 0x80) {
    header = [tag, length];
  } else {
    const lengthBytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256))
      lengthBytes.unshift(rest % 256);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }

  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
