// Build step: ship the plugin templates inside @mc-kit/cli (dist/templates/<kind>), so `mc generate`
// finds them beside its code whether mc runs from the repository or from an installed package.
// The repository's templates/ folder is the source; node_modules, dist and build info are left out.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(cli, '..', '..', 'templates');
const target = join(cli, 'dist', 'templates');
const SKIP = new Set(['node_modules', 'dist', 'coverage']);

if (!existsSync(source)) {
  console.error(`copy-templates: ${source} is missing; build @mc-kit/cli from the mc repository`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
for (const kind of readdirSync(source)) {
  if (!existsSync(join(source, kind, 'package.json'))) continue;
  cpSync(join(source, kind), join(target, kind), {
    recursive: true,
    filter: (path) => !SKIP.has(basename(path)) && !path.endsWith('.tsbuildinfo'),
  });
}
