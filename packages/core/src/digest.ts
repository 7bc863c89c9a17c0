import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';

/**
 * sha256 of a file, streamed (models can be larger than memory) through one reused 1 MiB buffer. A
 * read stream allocates a fresh chunk per read, and V8 frees those chunks when it pleases: hashing a
 * 64 MiB model that way left up to the whole file in garbage just before `mc compress` read its
 * first weight (issue 5, peak RSS).
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const buf = new Uint8Array(1 << 20);
  const handle = await fs.open(path, 'r');
  try {
    for (let pos = 0; ; ) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** sha256 over several files, each as "name\0sha256\n", so renaming a file changes the digest. */
export async function sha256Files(files: readonly { name: string; path: string }[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`${f.name}\0${await sha256File(f.path)}\n`);
  }
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
