export { readIdxImages, readIdxLabels, labelsBeside, imageTensor, type ImageSet } from './idx.ts';
