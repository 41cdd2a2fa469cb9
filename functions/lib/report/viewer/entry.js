/* global document, window */
/**
 * Browser entry of the report's interactive viewer, bundled with NiiVue by esbuild into one
 * IIFE (global `MedalsViewer`) that report.html inlines. It never fetches anything: the image
 * and the label map arrive as base64 NIfTI strings in the page itself.
 *
 * Plain JavaScript (not part of the TypeScript program, which has no DOM types); see
 * functions/lib/report/viewer-bundle.ts for how and when it is bundled.
 */
import { Niivue, NVImage, SHOW_RENDER } from '@niivue/niivue';

/**
 * Shows `config.image` with `config.labels` over it on `canvas` (multiplanar + 3D render).
 * config: { image: base64 NIfTI, labels: base64 NIfTI, lut: { R, G, B, A, I, labels },
 * window: [min, max], opacity }. Resolves to the Niivue instance once both volumes are drawn.
 */
export async function start(canvas, config) {
  const nv = new Niivue({
    backColor: [0, 0, 0, 1],
    show3Dcrosshair: true,
    dragAndDropEnabled: false,
    isColorbar: false,
    isOrientCube: true,
    // As the PNG overlays: the patient's right on the left of axial and coronal views.
    isRadiologicalConvention: true,
    sagittalNoseLeft: true,
    multiplanarShowRender: SHOW_RENDER.ALWAYS,
    loadingText: 'loading…',
    logLevel: 'error',
  });
  await nv.attachToCanvas(canvas);
  const image = await NVImage.loadFromBase64({
    base64: config.image,
    name: 'image.nii.gz',
    colormap: 'gray',
    cal_min: config.window[0],
    cal_max: config.window[1],
    trustCalMinMax: true,
  });
  const labels = await NVImage.loadFromBase64({ base64: config.labels, name: 'labels.nii.gz' });
  labels.setColormapLabel(config.lut);
  labels.opacity = config.opacity ?? 0.5;
  nv.addVolume(image);
  nv.addVolume(labels);
  nv.setSliceType(nv.sliceTypeMultiplanar);
  nv.drawScene();
  return nv;
}

/** Shows an error in place of the viewer instead of leaving a blank canvas. */
export function fail(element, error) {
  const p = document.createElement('p');
  p.className = 'viewer-error';
  p.textContent = `The interactive viewer could not start: ${error && error.message ? error.message : error}`;
  element.replaceChildren(p);
  if (window.console) window.console.warn(error);
}
