import type { GenerateReport } from '../generate/scaffold.js';

export function renderGenerate(r: GenerateReport): string {
  return [
    `created ${r.package} in ${r.dir}: ${r.template} "${r.id}" (class ${r.className}), ${r.files.length} files, built against @mc-kit/core ${r.coreVersion}`,
    'next:',
    ...r.next.map((c) => `  ${c}`),
  ].join('\n');
}
