/**
 * int4 RTN in WebAssembly SIMD (rtn.wat): the codes, scales and zero points of math.ts
 * `quantizeInt4Ref`, bit for bit (rtn.test.ts), about four times faster than the JS kernel
 * (fast.ts), which stays for what this one does not take (non-float32 scales, block sizes not a
 * multiple of 4) and for runtimes without wasm SIMD.
 *
 * The work goes column tile by column tile: up to TILE_COLUMNS columns (the N of a MatMul weight
 * [K, N]), whose weights stream through the wasm memory one chunk of whole blocks along K (about
 * 256 rows) at a time, and whose results (all of K) gather there in their final layout, to leave
 * with one copy per tile. The memory holds one tile's worth (a few MiB, whatever the model) and
 * serves every call: V8 frees a wasm memory only when it collects, and it seldom collects while the
 * JS heap is this small, so a memory per call piled up (+60 MiB on 8 tensors of 2048x2048). The
 * owner of a batch calls `releaseWasmRtn` when done.
 */
import { checkLayout, type BlockLayout, type Int4Blocks, type Int4Nibbles, type Int4Options } from '../math.js';
import { WASM_BASE64 } from './rtn.wasm.js';

/** The slice of the WebAssembly API used here (the project's lib is ES2022 without DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
}

interface RtnExports {
  readonly tile: (
    w: number,
    cols: number,
    blocks: number,
    bs: number,
    nLast: number,
    sym: number,
    lo: number,
    hi: number,
    s: number,
    z: number,
    codes: number,
    nib: number,
  ) => void;
  readonly scatter: (
    width: number,
    cols: number,
    blocks: number,
    span: number,
    codes: number,
    s: number,
    z: number,
    codesOut: number,
    padded: number,
    sOut: number,
    zOut: number,
    kBlocks: number,
    nib: number,
  ) => void;
}

/** Columns per tile: a row of weights is 4 KiB, so a block's rows stay in L2 between its passes. */
const TILE_COLUMNS = 1024;
/** Rows per chunk, at least: each column's codes leave the tile as one 256-byte run. */
const CHUNK_ROWS = 256;
/** Wasm32 addresses 4 GiB; a tile needing more than 2 GiB (K in the millions) goes to the JS kernel. */
const MAX_MEMORY = 2 ** 31;
const PAGE = 65536;

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

function rtnModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(WASM_BASE64, 'base64')) : null;
    } catch {
      compiled = null; // a runtime without wasm SIMD: the JS kernel does the work
    }
  }
  return compiled;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

let arena: { readonly memory: WasmMemory; readonly exports: RtnExports } | undefined;

/** The shared instance, its memory grown to at least `bytes`. */
function instance(
  api: WasmApi,
  module: object,
  bytes: number,
): { readonly memory: WasmMemory; readonly exports: RtnExports } {
  const pages = Math.ceil(bytes / PAGE);
  if (!arena) {
    const memory = new api.Memory({ initial: pages });
    arena = { memory, exports: new api.Instance(module, { env: { memory } }).exports as RtnExports };
  } else {
    const have = arena.memory.buffer.byteLength / PAGE;
    if (pages > have) arena.memory.grow(pages - have);
  }
  return arena;
}

/** Drops the kernel's memory (one column tile's results, up to 1024 x K bytes, and its working set); the next call makes a new one. */
export function releaseWasmRtn(): void {
  arena = undefined;
}

interface Regions {
  readonly bytes: number;
  readonly scales: number;
  readonly codes: number;
  readonly zeroPoints: number;
  readonly tile: number;
  readonly lo: number;
  readonly hi: number;
  readonly s: number;
  readonly z: number;
  readonly tileCodes: number;
}

/** Offsets of one column tile's results (cols x all of K) and of its working set (cols x `rows`). */
function regions(kBlocks: number, padded: number, cols: number, rows: number, blocks: number): Regions {
  const scales = 0;
  const codes = align16(scales + cols * kBlocks * 4);
  const zeroPoints = align16(codes + cols * padded);
  const tile = align16(zeroPoints + cols * kBlocks);
  const lo = tile + rows * cols * 4;
  const hi = lo + cols * 4;
  const s = hi + cols * 4;
  const z = s + blocks * cols * 4;
  const tileCodes = z + blocks * cols * 4;
  return { bytes: tileCodes + cols * rows, scales, codes, zeroPoints, tile, lo, hi, s, z, tileCodes };
}

interface Shape {
  readonly kBlocks: number;
  readonly padded: number;
  /** outer rows read transposed (inner = 1), so they become the tile's columns */
  readonly transposed: boolean;
  readonly slices: number;
  readonly columns: number;
  readonly chunk: number;
  readonly tileCols: number;
  readonly regions: Regions;
}

function shapeOf(layout: BlockLayout, blockSize: number): Shape {
  const { outer, dim, inner } = layout;
  const kBlocks = Math.ceil(dim / blockSize);
  const padded = kBlocks * blockSize;
  // A weight whose blocks run along contiguous memory (inner = 1: Gather rows, flattened Conv
  // filters) is read transposed, so its `outer` rows become the tile's columns.
  const transposed = inner === 1 && outer > 1;
  const columns = transposed ? outer : inner;
  const chunk = Math.max(1, Math.ceil(CHUNK_ROWS / blockSize));
  const tileCols = Math.min(TILE_COLUMNS, Math.ceil(columns / 4) * 4);
  const r = regions(kBlocks, padded, tileCols, chunk * blockSize, chunk);
  return { kBlocks, padded, transposed, slices: transposed ? 1 : outer, columns, chunk, tileCols, regions: r };
}

/** Whether this kernel takes these options and this tensor (and the runtime has wasm SIMD). */
export function wasmRtnApplies(options: Int4Options, layout?: BlockLayout): boolean {
  if (
    options.searchScale ||
    (options.scaleType ?? 'float32') !== 'float32' ||
    options.blockSize < 4 ||
    options.blockSize % 4 !== 0
  )
    return false;
  if (layout && shapeOf(layout, options.blockSize).regions.bytes > MAX_MEMORY) return false;
  return rtnModule() !== null;
}

/** Block-wise RTN without the clip search, a byte per code; callers check `wasmRtnApplies` first. */
export function quantizeInt4Wasm(w: Float32Array, layout: BlockLayout, options: Int4Options): Int4Blocks {
  return run(w, layout, options, 0);
}

/**
 * The same blocks with the codes already packed as MatMulNBits' B wants them: two per byte, the even
 * K index in the low nibble, each output row padded to whole blocks (pack.ts `packMatMulNBits`
 * makes the same bytes from `quantizeInt4Wasm`'s). Half the memory, and no packing pass. Block
 * size a multiple of 8.
 */
export function quantizeInt4WasmNibbles(w: Float32Array, layout: BlockLayout, options: Int4Options): Int4Nibbles {
  if (options.blockSize % 8 !== 0) throw new RangeError('quantizeInt4WasmNibbles: block size must be a multiple of 8');
  const { codes, ...rest } = run(w, layout, options, 1);
  return { ...rest, nibbles: codes };
}

/** nib = 1: codes as nibbles (see quantizeInt4WasmNibbles); 0: a byte each. */
function run(w: Float32Array, layout: BlockLayout, options: Int4Options, nib: 0 | 1): Int4Blocks {
  const module = rtnModule();
  if (!wasm || !module || !wasmRtnApplies(options, layout))
    throw new RangeError('quantizeInt4Wasm: options, tensor or runtime not supported (see wasmRtnApplies)');
  const { blockSize, scheme } = options;
  checkLayout(w.length, layout, blockSize);
  const { outer, dim, inner } = layout;
  const { kBlocks, padded, transposed, slices, columns, chunk, tileCols, regions: at } = shapeOf(layout, blockSize);
  const { memory, exports: k } = instance(wasm, module, at.bytes);
  const f32 = new Float32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  const rows = outer * inner;
  const codes = new Uint8Array((rows * padded) >> nib);
  const scales = new Float32Array(rows * kBlocks);
  const zeroPoints = new Uint8Array(rows * kBlocks);
  const tileAt = at.tile >> 2;
  const sym = scheme === 'sym' ? 1 : 0;

  for (let o = 0; o < slices; o++) {
    for (let c0 = 0; c0 < columns; c0 += tileCols) {
      const width = Math.min(tileCols, columns - c0);
      const cols = Math.ceil(width / 4) * 4;
      const row0 = o * inner + c0; // the output row of the tile's first column
      for (let b0 = 0; b0 < kBlocks; b0 += chunk) {
        const blocks = Math.min(chunk, kBlocks - b0);
        const d0 = b0 * blockSize;
        const span = blocks * blockSize;
        const real = Math.min(span, dim - d0); // rows of the weight in this chunk
        // zero padding (columns past the weight, rows past its end) codes as the zero point
        if (width < cols || real < span) f32.fill(0, tileAt, tileAt + span * cols);
        if (transposed) {
          for (let j = 0; j < width; j++) {
            const from = (c0 + j) * dim + d0;
            for (let r = 0, to = tileAt + j; r < real; r++, to += cols) f32[to] = w[from + r];
          }
        } else {
          for (let r = 0; r < real; r++) {
            const from = (o * dim + d0 + r) * inner + c0;
            f32.set(w.subarray(from, from + width), tileAt + r * cols);
          }
        }
        k.tile(
          at.tile,
          cols,
          blocks,
          blockSize,
          real - (blocks - 1) * blockSize,
          sym,
          at.lo,
          at.hi,
          at.s,
          at.z,
          at.tileCodes,
          nib,
        );
        k.scatter(
          width,
          cols,
          blocks,
          span,
          at.tileCodes,
          at.s,
          at.z,
          at.codes + (d0 >> nib),
          padded,
          at.scales + b0 * 4,
          at.zeroPoints + b0,
          kBlocks,
          nib,
        );
      }
      // the tile's output rows row0 .. row0 + width are contiguous in each result
      codes.set(u8.subarray(at.codes, at.codes + ((width * padded) >> nib)), (row0 * padded) >> nib);
      scales.set(f32.subarray(at.scales >> 2, (at.scales >> 2) + width * kBlocks), row0 * kBlocks);
      zeroPoints.set(u8.subarray(at.zeroPoints, at.zeroPoints + width * kBlocks), row0 * kBlocks);
    }
  }
  return { scheme, blockSize, layout, scaleType: 'float32', rows, kBlocks, codes, scales, zeroPoints, clipped: 0 };
}
