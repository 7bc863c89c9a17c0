import type { InstallReport } from '../plugin-install/install.js';
import type { UninstallReport, UpdateReport } from '../plugin-install/manage.js';

const FROM: Record<InstallReport['source'], string> = {
  registry: 'the registry',
  folder: 'the folder',
  tarball: 'the tarball',
  url: '',
};

export function renderInstall(r: InstallReport, bin: string): string {
  const from = r.source === 'url' ? r.from : `${FROM[r.source]} ${r.from}`;
  const what = r.provides.length ? r.provides.join(', ') : 'no methods, metrics or datasets';
  return [
    `installed ${r.name}@${r.version} from ${from}: ${what}`,
    `install scripts ${r.scripts === 'off' ? 'off (--allow-scripts runs them)' : 'allowed'}; @mc-kit/core is this mc's ${r.core.version}; ${bin} list shows every id`,
  ].join('\n');
}

export function renderUninstall(r: UninstallReport): string {
  return r.removed.map((p) => `${p.type === 'link' ? 'unlinked' : 'uninstalled'} ${p.name}`).join('\n');
}

export function renderUpdate(r: UpdateReport): string {
  const lines = [
    ...r.updated.map((u) => `updated ${u.name}: ${u.from} -> ${u.to}`),
    ...r.kept.map((k) => `kept ${k.name}@${k.version}: ${k.reason}`),
  ];
  return lines.length ? lines.join('\n') : 'every installed plugin is up to date';
}
