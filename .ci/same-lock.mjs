// Are two package-lock.json files the same lock? `resolved` (the download address) is left out of
// the comparison: whether npm writes it depends on the machine's npm setting
// omit-lockfile-registry-resolved, not on what gets installed; everything else must be equal.
import { readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2).map((p) => JSON.parse(readFileSync(p, 'utf8')));
const strip = (lock) => JSON.stringify(lock, (key, value) => (key === 'resolved' ? undefined : value));
process.exit(strip(a) === strip(b) ? 0 : 1);
