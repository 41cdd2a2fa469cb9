/**
 * A worker thread that decodes one image file with itk-wasm (image-io.ts `decodeInWorker`):
 * itk-wasm decodes on the thread that calls it, so two files read together (a case and its
 * ground truth) would otherwise decode one after the other. Posts the image's fields, its voxels
 * transferred (or shared when itk-wasm handed over a SharedArrayBuffer), or the error's text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readItkImage } from './itk-read.js';
import { quietItk } from './itk-console.js';

const { file } = workerData as { file: string };
try {
  const image = await quietItk(() => readItkImage(file));
  const data = image.data as ArrayBufferView | null;
  const transfer = data && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
  parentPort!.postMessage({ image }, transfer);
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
