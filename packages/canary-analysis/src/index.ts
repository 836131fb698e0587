export * from './exposition';
export * from './format';
export * from './metrics';
export * from './promql';
export * from './stats';
export * from './verdict';
