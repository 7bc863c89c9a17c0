export * from './dtypes.js';
export * from './model.js';
