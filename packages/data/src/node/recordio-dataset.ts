import { ImageDecodeError, RecordIOFormatError } from '../errors';
import { checkImageBytes } from './check-image';
import type { RecordIOReader } from '../recordio/recordio-reader';
import { checkIndex, type FaceDataset } from '../dataset/face-dataset';
import { BAD_IMAGE_HINT, decodeImage, type DecodeOptions } from './decode-image';
import { openRecordIO } from './open-recordio';

/** A RecordIO face set as a {@link FaceDataset}; `close()` releases the file. */
export interface RecordIODataset extends FaceDataset {
  readonly reader: RecordIOReader;
  /** `<file>.rec record <key>` of sample `index`. */
  describe(index: number): string;
  /** Reads the record and checks its image's header and end marker without decoding it. */
  checkImage(index: number): Promise<void>;
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
      if (l < 0) throw new RecordIOFormatError(`'${recPath}': negative or non-integer class label ${l}; rebuild the set with class ids 0, 1, 2, …`);
      numClasses = Math.max(numClasses, l + 1);
    }
    const describe = (index: number): string => {
      checkIndex(index, keys.length);
      return `${recPath} record ${keys[index] as number}`;
    };
    // A record the .rec cannot give back is as bad as an image that does not decode: name it.
    const readImage = async (index: number): Promise<Uint8Array> => {
      try {
        return (await reader.read(keys[index] as number)).image;
      } catch (error) {
        if (!(error instanceof RecordIOFormatError)) throw error;
        throw new ImageDecodeError(`${error.message}; ${BAD_IMAGE_HINT}`, { cause: error, source: describe(index) });
      }
    };
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
        return decodeImage(await readImage(index), { ...options, source: describe(index) });
      },
      describe,
      async checkImage(index) {
        checkIndex(index, keys.length);
        await checkImageBytes(await readImage(index), { source: describe(index) });
      },
      close: () => reader.close(),
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}
