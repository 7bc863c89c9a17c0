import type { GenerateReport } from '../generate/scaffold.js';

export function renderGenerate(r: GenerateReport): string {
  return [
    `created ${r.package} in ${r.dir}: ${r.template} "${r.id}" (class ${r.className}), ${r.files.length} files, @mc-kit/core ${r.coreSpec === r.coreVersion ? r.coreVersion : `${r.coreSpec} (peer ^${r.coreVersion})`}`,
    ...r.notes.map((n) => `note: ${n}`),
    'next:',
    ...r.next.map((c) => `  ${c}`),
  ].join('\n');
}
