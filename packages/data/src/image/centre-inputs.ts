/**
 * Subtracts the mean image and divides by the root mean square of what is left, in place.
 * A set of identical images has nothing left to scale and stays at zero.
 */
export function centreInputs(inputs: Float32Array, count: number, inputSize: number): void {
  const mean = new Float64Array(inputSize);
  for (let i = 0; i < count; i += 1) {
    for (let p = 0; p < inputSize; p += 1) mean[p] = (mean[p] as number) + (inputs[i * inputSize + p] as number);
  }
  for (let p = 0; p < inputSize; p += 1) mean[p] = (mean[p] as number) / count;
  let squares = 0;
  for (let i = 0; i < count; i += 1) {
    for (let p = 0; p < inputSize; p += 1) {
      const value = (inputs[i * inputSize + p] as number) - (mean[p] as number);
      inputs[i * inputSize + p] = value;
      squares += value * value;
    }
  }
  const rms = Math.sqrt(squares / (count * inputSize));
  if (rms > 0) for (let k = 0; k < inputs.length; k += 1) inputs[k] = (inputs[k] as number) / rms;
}
