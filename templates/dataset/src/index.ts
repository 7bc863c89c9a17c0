/** What the package exports for other code and tests; mc itself only reads the register hook. */
export { CsvImagesDataset } from './provider.js';
export { parseImageCsv, type ParsedImages } from './parse.js';
export { default as register } from './register.js';
