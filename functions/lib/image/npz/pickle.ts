/**
 * A restricted pickle reader and writer for exactly one shape: the challenge `text_prompts`, a
 * 0-d numpy object array whose single element is a dict of str -> str | int (bool accepted, as
 * Python's bool is an int). Nothing is ever called or evaluated: the few globals numpy's pickle
 * names are matched by name and turned into plain data; any other global, opcode or structure is
 * refused with UNSUPPORTED_FORMAT naming what was found; malformed bytes give INVALID_INPUT.
 */
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';

type PromptValue = string | number | boolean;
/** A null-prototype object, so a key such as `__proto__` is an ordinary own property. */
export type PromptDict = Record<string, PromptValue>;

const RECONSTRUCT = ['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct'];
const ALLOWED = new Set([...RECONSTRUCT, 'numpy.ndarray', 'numpy.dtype', '_codecs.encode']);
const MAX_ITEMS = 100_000;

class Tuple {
  constructor(readonly items: Value[]) {}
}
class List {
  readonly items: Value[] = [];
}
class Dict {
  readonly map = new Map<string, Value>();
}
class Global {
  constructor(readonly name: string) {}
}
class Dtype {
  built = false;
}
class ObjectArray {
  element: Dict | undefined;
}
type Value =
  null | boolean | number | string | Uint8Array | Tuple | List | Dict | Global | Dtype | ObjectArray;

const unsupported = (what: string) =>
  new UnsupportedFormatError(
    `pickled data holds ${what}; only text_prompts (a 0-d object array holding a dict of str to str/int) is accepted`,
  );

function describe(v: Value): string {
  if (v === null) return 'None';
  if (v instanceof Global) return `global ${v.name}`;
  if (v instanceof Tuple) return `a tuple of ${v.items.length}`;
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return `a ${v.constructor.name}`;
  return `a ${typeof v}`;
}

function isPrompt(v: Value): v is PromptValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** What a known global makes of its arguments (REDUCE), as data. */
function reduce(fn: Value, args: Value): Value {
  if (!(fn instanceof Global) || !(args instanceof Tuple)) throw unsupported(`a call of ${describe(fn)}`);
  const a = args.items;
  if (RECONSTRUCT.includes(fn.name)) {
    const ok =
      a.length === 3 &&
      a[0] instanceof Global &&
      a[0].name === 'numpy.ndarray' &&
      a[1] instanceof Tuple &&
      a[1].items.length === 1 &&
      a[1].items[0] === 0 &&
      a[2] instanceof Uint8Array;
    if (!ok) throw unsupported(`${fn.name} called with unexpected arguments`);
    return new ObjectArray();
  }
  if (fn.name === 'numpy.dtype') {
    if (typeof a[0] !== 'string' || !/^O\d*$/.test(a[0]))
      throw unsupported(`an array of dtype ${String(a[0])}`);
    return new Dtype();
  }
  if (fn.name === '_codecs.encode') {
    const [text, codec] = a;
    if (a.length !== 2 || typeof text !== 'string' || (codec !== 'latin1' && codec !== 'latin-1')) {
      throw unsupported('_codecs.encode with unexpected arguments');
    }
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 255) throw new InvalidInputError('pickled latin-1 bytes hold a character above 255');
      out[i] = c;
    }
    return out;
  }
  throw unsupported(`a call of global ${fn.name}`);
}

/** Set an object's state (BUILD): only a dtype's and the object array's are understood. */
function build(target: Value, state: Value): void {
  if (target instanceof Dtype && !target.built && state instanceof Tuple) {
    if (state.items[1] !== '|') throw unsupported('an object dtype with an unexpected state');
    target.built = true;
    return;
  }
  if (target instanceof ObjectArray && target.element === undefined && state instanceof Tuple) {
    const [version, shape, dtype, _fortran, raw] = state.items;
    if (!(shape instanceof Tuple) || shape.items.length !== 0) {
      throw unsupported(
        `an object array of shape (${shape instanceof Tuple ? shape.items.join(', ') : '?'}), not 0-d`,
      );
    }
    if (version !== 1 || !(dtype instanceof Dtype) || !dtype.built || state.items.length !== 5) {
      throw unsupported('an ndarray with an unexpected state');
    }
    if (!(raw instanceof List) || raw.items.length !== 1)
      throw unsupported('an array without object elements');
    const element = raw.items[0];
    if (!(element instanceof Dict))
      throw unsupported(`an object array holding ${describe(element)}, not a dict`);
    target.element = element;
    return;
  }
  throw unsupported(`state set on ${describe(target)}`);
}

/** Decode numpy's pickle of a 0-d object array holding a dict of str -> str | int. */
export function readPickledPrompts(bytes: Uint8Array): PromptDict {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let pos = 0;

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) throw new InvalidInputError('pickled text_prompts are truncated');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)];
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(bytes.length)) throw new InvalidInputError('pickled text_prompts are truncated');
    return Number(v);
  };
  const push = (v: Value) => {
    if (stack.length >= MAX_ITEMS) throw new InvalidInputError('pickle stack too deep');
    stack.push(v);
  };
  const pop = (): Value => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw new InvalidInputError('malformed pickle: stack underflow');
    }
    return stack.pop() as Value;
  };
  const top = (): Value => {
    if (stack.length === 0) throw new InvalidInputError('malformed pickle: empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): Value[] => {
    const m = marks.pop();
    if (m === undefined) throw new InvalidInputError('malformed pickle: no MARK');
    return stack.splice(m);
  };
  const text = (n: number) => {
    const at = need(n);
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      throw new InvalidInputError('pickled text_prompts hold invalid UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) throw new InvalidInputError('malformed pickle: bad GLOBAL');
    const s = text(end - pos);
    pos++;
    return s;
  };
  const global = (module: Value, name: Value): Global => {
    const full = `${String(module)}.${String(name)}`;
    if (typeof module !== 'string' || typeof name !== 'string' || !ALLOWED.has(full)) {
      throw unsupported(`the forbidden global ${full}`);
    }
    return new Global(full);
  };
  const setItems = (dict: Value, items: Value[]) => {
    if (!(dict instanceof Dict)) throw unsupported(`items set on ${describe(dict)}`);
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = items[i];
      if (typeof key !== 'string') throw unsupported(`a dict key that is ${describe(key)}, not a str`);
      dict.map.set(key, items[i + 1]);
    }
    if (items.length % 2) throw new InvalidInputError('malformed pickle: odd SETITEMS');
  };
  const integer = (n: number) => {
    const at = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
    if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw unsupported('an integer beyond 2^53');
    }
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto < 2 || proto > 5) throw unsupported(`pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x63: // GLOBAL
        push(global(line(), line()));
        break;
      case 0x93: {
        const name = pop();
        push(global(pop(), name));
        break;
      }
      case 0x28: // MARK
        if (marks.length >= MAX_ITEMS) throw new InvalidInputError('pickle marks too deep');
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        push(new Dict());
        break;
      case 0x5d: // EMPTY_LIST
        push(new List());
        break;
      case 0x29: // EMPTY_TUPLE
        push(new Tuple([]));
        break;
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: // APPEND
      case 0x65: {
        const items = op === 0x61 ? [pop()] : popMark();
        const list = top();
        if (!(list instanceof List)) throw unsupported(`items appended to ${describe(list)}`);
        list.items.push(...items);
        if (list.items.length > MAX_ITEMS) throw new InvalidInputError('pickled list too long');
        break;
      }
      case 0x58: // BINUNICODE
        push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(text(u64()));
        break;
      case 0x43: // SHORT_BINBYTES
      case 0x42: // BINBYTES
      case 0x8e: {
        const n = op === 0x43 ? u8() : op === 0x42 ? u32() : u64();
        const at = need(n);
        push(bytes.slice(at, at + n));
        break;
      }
      case 0x4a: // BININT
        push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(view.getUint16(need(2), true));
        break;
      case 0x8a: // LONG1
        push(integer(u8()));
        break;
      case 0x85: // TUPLE1..3
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        const items: Value[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        push(new Tuple(items));
        break;
      }
      case 0x74: // TUPLE
        push(new Tuple(popMark()));
        break;
      case 0x52: {
        const args = pop();
        push(reduce(pop(), args));
        break;
      }
      case 0x62: {
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
      case 0x89:
        push(op === 0x88);
        break;
      case 0x94: // MEMOIZE
      case 0x71: // BINPUT
      case 0x72: {
        const key = op === 0x94 ? memo.size : op === 0x71 ? u8() : u32();
        if (memo.size >= MAX_ITEMS) throw new InvalidInputError('pickle memo too large');
        memo.set(key, top());
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new InvalidInputError(`malformed pickle: memo ${key} is not set`);
        push(memo.get(key) as Value);
        break;
      }
      case 0x2e: {
        if (stack.length !== 1 || marks.length !== 0) throw new InvalidInputError('malformed pickle at STOP');
        if (pos !== bytes.length) throw new InvalidInputError('bytes follow the end of the pickle');
        const result = stack[0];
        if (!(result instanceof ObjectArray) || !result.element) throw unsupported(describe(result));
        const out: PromptDict = Object.create(null);
        for (const [k, v] of result.element.map) {
          if (!isPrompt(v)) throw unsupported(`text_prompts["${k}"] = ${describe(v)}, not a str or int`);
          out[k] = v;
        }
        return out;
      }
      default:
        throw unsupported(`pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}

/** Pickle a dict as numpy 1.x pickles a 0-d object array (protocol 3), which numpy 1.x and 2.x read. */
export function writePickledPrompts(dict: Readonly<Record<string, PromptValue>>): Uint8Array {
  const parts: Buffer[] = [];
  const raw = (...b: number[]) => parts.push(Buffer.from(b));
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58;
    head.writeUInt32LE(b.length, 1);
    parts.push(head, b);
  };
  const int = (v: number) => {
    if (!Number.isSafeInteger(v)) throw new InvalidInputError(`text prompt value ${v} is not an integer`);
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(v, 1);
      parts.push(b);
      return;
    }
    const b = Buffer.alloc(10);
    b[0] = 0x8a;
    b[1] = 8;
    b.writeBigInt64LE(BigInt(v), 2);
    parts.push(b);
  };
  const ascii = (s: string) => parts.push(Buffer.from(s, 'latin1'));
  raw(0x80, 3);
  ascii('cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n');
  raw(0x4b, 0, 0x85, 0x43, 1, 0x62, 0x87, 0x52, 0x28, 0x4b, 1, 0x29);
  ascii('cnumpy\ndtype\n');
  str('O8');
  raw(0x89, 0x88, 0x87, 0x52, 0x28, 0x4b, 3);
  str('|');
  raw(0x4e, 0x4e, 0x4e);
  int(-1);
  int(-1);
  raw(0x4b, 63, 0x74, 0x62, 0x89, 0x5d, 0x7d, 0x28);
  for (const [k, v] of Object.entries(dict)) {
    str(k);
    if (typeof v === 'string') str(v);
    else if (typeof v === 'boolean') raw(v ? 0x88 : 0x89);
    else int(v);
  }
  raw(0x75, 0x61, 0x74, 0x62, 0x2e);
  return Buffer.concat(parts);
}
