export { readIdxImages, readIdxLabels, labelsBeside, type ImageSet } from './idx.ts';
export { readNpy, type NpyArray } from './npy.ts';
export { decodeImage, listImageFolder } from './images.ts';
export { openDataset, type Dataset, type DatasetOptions, type Preprocessing } from './dataset.ts';
export { seededRandom, randomInt8Input, RANDOM_INPUT_SEED } from './random.ts';
