// `pnpm fixtures:check`: runs check.py with the first Python 3 that has numpy and torch
// ($ARCFACE_PYTHON, then python3, then Debian's /usr/bin/python3), or says why it skips.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [process.env.ARCFACE_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
const usable = candidates.find(
  (python) => spawnSync(python, ['-c', 'import numpy, torch'], { stdio: 'ignore' }).status === 0,
);
if (!usable) {
  console.log(
    `fixtures:check skipped: no Python 3 with numpy and torch (tried ${candidates.join(', ')}). ` +
      'Install python3-numpy and python3-torch (Debian) or set ARCFACE_PYTHON.',
  );
  process.exit(0);
}
const run = spawnSync(usable, [join(here, 'check.py')], { stdio: 'inherit' });
process.exit(run.status ?? 1);
