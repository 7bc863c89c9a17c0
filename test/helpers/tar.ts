/**
 * A gzipped tar of a package folder, as `npm pack` lays it out (every path under `package/`), for
 * the end-to-end tests' local registry. Regular files only; ustar headers, with a pax header for
 * paths that do not fit ustar's name/prefix fields.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

function header(name: string, size: number, mode: number, type: '0' | 'x', prefix = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (text: string, at: number, length: number) => h.write(text, at, length, 'utf8');
  const octal = (n: number, at: number, length: number) =>
    put(`${n.toString(8).padStart(length - 1, '0')}\0`, at, length);
  put(name, 0, 100);
  octal(mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12); // mtime 0: the same folder always gives the same bytes
  put('        ', 148, 8); // checksum field counts as spaces while summing
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data];
}

/** ustar splits a long path into prefix (155) + name (100) at a '/'; pax says the whole path. */
function entry(path: string, data: Buffer, mode: number): Buffer[] {
  if (Buffer.byteLength(path) <= 100) return [header(path, data.length, mode, '0'), ...padded(data)];
  const cut = path.lastIndexOf('/', path.length - 1);
  for (let i = cut; i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100)
      return [header(name, data.length, mode, '0', prefix), ...padded(data)];
    if (Buffer.byteLength(name) > 100) break;
  }
  const body = ` path=${path}\n`;
  let length = Buffer.byteLength(body) + 1; // a pax record starts with its own length, digits included
  while (Buffer.byteLength(body) + String(length).length !== length) length++;
  const pax = Buffer.from(`${length}${body}`);
  return [
    header('PaxHeader', pax.length, 0o644, 'x'),
    ...padded(pax),
    header(path.slice(-100), data.length, mode, '0'),
    ...padded(data),
  ];
}

/** Files of `dir` for which keep(relative path) holds, as a .tgz with a `package/` root. */
export function packFolder(dir: string, keep: (rel: string, isDir: boolean) => boolean): Buffer {
  const parts: Buffer[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(dir, path), { throwIfNoEntry: false }); // links are left out
      if (!stat) continue;
      if (stat.isDirectory()) {
        if (keep(path, true)) walk(path);
      } else if (stat.isFile() && keep(path, false)) {
        parts.push(...entry(`package/${path}`, readFileSync(join(dir, path)), stat.mode & 0o111 ? 0o755 : 0o644));
      }
    }
  };
  walk('');
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}
