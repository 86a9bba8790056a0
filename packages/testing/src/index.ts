export { TEST_BACKENDS, describeEachBackend, registerGradients, registerTestBackends, useBackend } from './backends';
export { expectNoLeak } from './leaks';
export { GOLDEN_DIR, REPO_ROOT, goldenPath, readGolden, sharedDataDir } from './fixtures';
export { seededValues } from './random';
export { cosine } from './vectors';
export { collectGarbageClosedDescriptors, openDescriptors, scratchDir, withinTime } from './descriptors';
export { concatBytes, mutatedFiles } from './mutations';
export { README_PRINT_KEY, expectPrintedAsDocumented, instrumentPrinted, printedMatches, readmeExamples } from './readme-examples';
export type { PrintedExpectation, ReadmeExample } from './readme-examples';
