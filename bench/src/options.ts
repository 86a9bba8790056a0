/** Command-line settings of `pnpm bench`. The defaults keep a run to a few minutes on 2 cores. */
export interface BenchOptions {
  readonly backends: readonly string[];
  readonly classes: readonly number[];
  readonly batch: number;
  readonly side: number;
  readonly reps: number;
  readonly trainReps: number;
  /** Rounds of the margin head, each PyTorch then tfjs back to back (medians over rounds). */
  readonly headRounds: number;
  readonly workloads: readonly string[];
  /** `--workloads compiled`: which training paths to run ('eager', 'compiled'). */
  readonly paths: readonly string[];
  /** `--workloads compiled`: batch of the host-time run on Dawn's null device (0: none). */
  readonly hostBatch: number;
  readonly networks: readonly string[];
  /** Networks whose training step is timed (default: all of `networks`); the others get a row saying so. */
  readonly trainNetworks: readonly string[];
  readonly torch: string | undefined;
  readonly torchDevice: string;
  readonly markdown: string | undefined;
  readonly json: string | undefined;
  readonly title: string;
  /** Which generated section of the Markdown file this run replaces ('cpu', 'gpu'). */
  readonly section: string;
  /** Run the pure-JS cpu backend on the heavy workloads too (minutes per training step). */
  readonly cpuAll: boolean;
  /** Profile one training step per network instead of the benchmark (`tf.profile`, kernels traced). */
  readonly profile: boolean;
  /** Rows of each profile table. */
  readonly profileTop: number;
  /** tfjs flags set after the backend is chosen, e.g. WEBGPU_CPU_FORWARD=true. */
  readonly flags: ReadonlyArray<readonly [string, string]>;
  /** 'ours' (default): @arcface/backend's WebGPU filter-gradient kernels; 'stock': tfjs' own. */
  readonly webgpuKernels: 'ours' | 'stock';
  /** Gradient checkpoints in training steps: 'auto' (on wasm, whose heap is 4 GB), 'none', 'blocks' or a segment count. */
  readonly checkpoints: 'auto' | 'none' | 'blocks' | number;
  /** Options for Dawn's create() (Node webgpu), e.g. enable-dawn-features=allow_unsafe_apis. */
  readonly dawnFlags: readonly string[];
}

const HELP = `pnpm bench [flags]
  --backends wasm,cpu        tfjs backends (webgpu needs a GPU; tensorflow needs tfjs-node)
  --classes 1000,10000,100000  margin-head class counts
  --batch 64 --side 112      training/inference batch and image side
  --reps 3 --train-reps 2    timed repetitions (median; one warm-up before)
  --head-rounds 3            margin head: rounds of PyTorch then tfjs back to back; the table gives
                             medians over rounds and the median of the rounds' ratios
  --workloads head,train,infer,onnx   (onnx: imported iResNet-50 and MobileFaceNet against onnxruntime-node;
                             compiled: the trainer's webgpu step, eager against compiled — dispatches,
                             submissions, buffers created, host ms per step; alone, no PyTorch)
  --paths eager,compiled      with --workloads compiled: the training paths to run
  --host-batch 4             with --workloads compiled: batch of the host-time run on Dawn's null
                             device (it caps memory at 512 MB); 0 skips it
  --networks mobilefacenet,iresnet18
  --train-networks mobilefacenet   time the training step of these only (default: all networks)
  --torch /usr/bin/python3   python with torch for the reference ('none' to skip)
  --torch-device cpu|cuda
  --markdown docs/benchmarks.md --json bench/results/latest.json  ('none' to skip)
  --title "…"                heading of the Markdown section
  --section cpu              which generated section of the Markdown file to replace
  --cpu-all                  also run training/inference and C=100k on the pure-JS cpu backend
  --profile                  profile one training step per network (tf.profile): top kernels with
                             where they ran, calls, shapes, kernelMs against wall; no PyTorch
  --profile-top 25           rows per profile table
  --flags WEBGPU_CPU_FORWARD=true,…   tfjs flags set after the backend is chosen
  --webgpu-kernels ours|stock  filter-gradient kernels on webgpu (default ours, from @arcface/backend)
  --dawn-flags enable-dawn-features=allow_unsafe_apis   Dawn create() options ('+' separates several)
  --gradient-checkpoints auto|none|blocks|N   gradient checkpoints in training steps (auto: on wasm only,
                             whose 32-bit heap cannot hold a whole B 64 step at 112×112)`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'\n${HELP}`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (key === 'cpu-all' || key === 'profile') flags.set(key, 'true');
    else flags.set(key, inline ?? argv[++i] ?? '');
  }
  const list = (key: string, fallback: string) => (flags.get(key) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  const int = (key: string, fallback: number) => {
    const value = Number(flags.get(key) ?? fallback);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${key} must be a positive integer, got '${flags.get(key)}'`);
    return value;
  };
  const path = (key: string, fallback: string) => {
    const value = flags.get(key) ?? fallback;
    return value === 'none' ? undefined : value;
  };
  return {
    backends: list('backends', 'wasm,cpu'),
    classes: list('classes', '1000,10000,100000').map(Number),
    batch: int('batch', 64),
    side: int('side', 112),
    reps: int('reps', 3),
    trainReps: int('train-reps', 2),
    headRounds: int('head-rounds', 3),
    workloads: list('workloads', 'head,train,infer,onnx'),
    paths: list('paths', 'eager,compiled'),
    hostBatch: Number(flags.get('host-batch') ?? '4'),
    networks: list('networks', 'mobilefacenet,iresnet18'),
    trainNetworks: list('train-networks', flags.get('networks') ?? 'mobilefacenet,iresnet18'),
    torch: path('torch', '/usr/bin/python3'),
    torchDevice: flags.get('torch-device') ?? 'cpu',
    markdown: path('markdown', 'docs/benchmarks.md'),
    json: path('json', 'bench/results/latest.json'),
    title: flags.get('title') ?? 'CPU: 2 cores, tfjs backends against PyTorch CPU',
    section: flags.get('section') ?? 'cpu',
    cpuAll: flags.get('cpu-all') === 'true',
    profile: flags.get('profile') === 'true',
    profileTop: int('profile-top', 25),
    flags: list('flags', '').map((pair) => {
      const [name, value] = pair.split('=', 2) as [string, string | undefined];
      if (value === undefined || name === '') throw new Error(`--flags takes NAME=value pairs, got '${pair}'`);
      return [name, value] as const;
    }),
    webgpuKernels: webgpuKernels(flags.get('webgpu-kernels') ?? 'ours'),
    dawnFlags: (flags.get('dawn-flags') ?? '').split('+').map((s) => s.trim()).filter(Boolean),
    checkpoints: checkpoints(flags.get('gradient-checkpoints') ?? 'auto'),
  };
}

function checkpoints(value: string): BenchOptions['checkpoints'] {
  if (value === 'auto' || value === 'none' || value === 'blocks') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--gradient-checkpoints must be auto, none, blocks or a segment count, got '${value}'`);
  return n;
}

function webgpuKernels(value: string): 'ours' | 'stock' {
  if (value !== 'ours' && value !== 'stock') throw new Error(`--webgpu-kernels must be 'ours' or 'stock', got '${value}'`);
  return value;
}

/** A flag value as tfjs wants it: booleans and numbers parsed, anything else kept as text. */
export function flagValue(text: string): boolean | number | string {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}
