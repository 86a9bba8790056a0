import cliProgress from 'cli-progress';

import type { DemoProgress } from '../demo/run-demo';

/**
 * A progress bar with ETA on stderr (cli-progress). Where stderr is not a terminal (CI, a pipe)
 * it prints a line per phase and its end instead of redrawing.
 */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): DemoProgress {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let total = 0;
  let startedAt = 0;
  return {
    start(name, units) {
      phase = name;
      total = units;
      startedAt = performance.now();
      if (tty) {
        bar = new cliProgress.SingleBar(
          { stream, format: `${name.padEnd(14)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {detail}`, hideCursor: true, etaBuffer: 20 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(units, 0, { detail: '' });
      } else {
        stream.write(`${name}: ${units} steps…\n`);
      }
    },
    update(done, detail) {
      bar?.update(done, { detail: detail ?? '' });
    },
    stop() {
      if (bar !== undefined) {
        bar.stop();
        bar = undefined;
      } else if (phase !== '') {
        stream.write(`${phase}: ${total} steps in ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
      }
      phase = '';
    },
    log(message) {
      stream.write(`${message}\n`);
    },
  };
}
