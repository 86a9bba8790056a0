export type { MarginFn, MarginContext, MarginOptions, GradientMode, JsonValue, JsonPrimitive } from './margin-fn';
export { MARGIN_SPEC_VERSION } from './margin-fn';
