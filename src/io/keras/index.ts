/**
 * Keras files below the layer mappings: `.keras` (zip + HDF5) and legacy `.h5` read into a
 * neutral description (config, compile config, weights by HDF5 path) and written back.
 */
export {
  KERAS_WRITE_VERSION, readKerasBytes, readKerasH5, readKerasZip, writeKerasFile,
  type KerasFileContents, type KerasFileDescription, type KerasLegacyLayer, type KerasWeight, type KerasWeightDType,
} from './keras-file.js';
export { HDF5_LIMITS, readHdf5, type H5AttributeValue, type H5Data, type H5Dataset, type H5DType, type H5Group } from './hdf5-read.js';
export { h5DTypeOf, writeHdf5 } from './hdf5-write.js';
export { listZip, readZipEntry, writeZip, type ZipEntry } from './zip.js';
export { KerasFloat, kerasFloat, parseKerasJson, toKerasJson } from './json.js';
