/** The hidden first argument that makes the `arcface` entry serve as a demo worker process. */
export const DEMO_WORKER_ARG = '__arcface-demo-worker';
