import { RecordIOFormatError } from '../errors';
import type { RecordIOReader } from '../recordio/recordio-reader';
import { checkIndex, type FaceDataset } from '../dataset/face-dataset';
import { decodeImage, type DecodeOptions } from './decode-image';
import { openRecordIO } from './open-recordio';

/** A RecordIO face set as a {@link FaceDataset}; `close()` releases the file. */
export interface RecordIODataset extends FaceDataset {
  readonly reader: RecordIOReader;
  close(): Promise<void>;
}

/**
 * Opens a `.rec` as a training set: samples are its `imageKeys`. For the insightface layout the
 * labels come from the identity ranges (no record read); otherwise each image record's header
 * is read once at open (`label`, or `label[0]` if an array), as `MXFaceDataset` does.
 *
 * @example
 * const train = await openRecordIODataset('faces_emore/train.rec', { size: 112 });
 */
export async function openRecordIODataset(recPath: string, options: DecodeOptions & { idxPath?: string | null } = {}): Promise<RecordIODataset> {
  const reader = await openRecordIO(recPath, options.idxPath);
  try {
    const keys = reader.imageKeys;
    const labels = new Int32Array(keys.length);
    labels.fill(-1);
    if (reader.identities.length > 0) {
      const position = new Map(keys.map((k, i) => [k, i]));
      reader.identities.forEach(([start, end], c) => {
        for (let k = start; k < end; k++) {
          const i = position.get(k);
          if (i !== undefined) labels[i] = c;
        }
      });
    }
    // Images no identity range covers (and every image of an im2rec set) carry their own label.
    for (let i = 0; i < keys.length; i++) if (labels[i] === -1) labels[i] = await reader.readLabel(keys[i] as number);
    let numClasses = reader.identities.length;
    for (const l of labels) {
      if (l < 0) throw new RecordIOFormatError(`negative or non-integer class label ${l}`);
      numClasses = Math.max(numClasses, l + 1);
    }
    return {
      reader,
      length: keys.length,
      numClasses,
      label(index) {
        checkIndex(index, labels.length);
        return labels[index] as number;
      },
      async loadImage(index) {
        checkIndex(index, keys.length);
        return decodeImage((await reader.read(keys[index] as number)).image, options);
      },
      close: () => reader.close(),
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}
