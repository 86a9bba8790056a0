// Type tests, checked by `tsc` (typecheck and lint), never run: module augmentation makes a
// plugin's name and options known to createMargin and registerMargin.
import { expectTypeOf } from 'vitest';
import { createMargin, defineMargin, registerMargin } from './index';
import type { MarginFn, MarginName } from './index';

type LinearAngularOptions = { m?: number; s?: number };

declare module './index' {
  interface MarginRegistry {
    'linear-angular': LinearAngularOptions;
  }
}

const linearAngular = defineMargin({
  name: 'linear-angular',
  defaults: { m: 0.3 },
  setup: ({ m }) => ({ targetLogit: (theta: number) => Math.cos(theta) - (m * theta) / Math.PI }),
});

registerMargin('linear-angular', linearAngular);
expectTypeOf(createMargin('linear-angular', { m: 0.2, s: 30 })).toEqualTypeOf<MarginFn<'linear-angular'>>();
expectTypeOf<'linear-angular'>().toExtend<MarginName>();
expectTypeOf<'additive-angular'>().toExtend<MarginName>();

// Built-in options are checked too.
createMargin('additive-angular', { m: 0.5, boundary: 'reflect', gradient: 'straight-through' });
// @ts-expect-error: 'sideways' is not a boundary policy
createMargin('additive-angular', { boundary: 'sideways' });
// @ts-expect-error: m is a number
createMargin('linear-angular', { m: 'large' });
// @ts-expect-error: a literal name nobody declared
createMargin('linear-angualr');
// A name known only at run time (a config file, a CLI flag) is accepted as a plain string.
declare const fromConfig: string;
expectTypeOf(createMargin(fromConfig, { m: 0.1 })).toEqualTypeOf<MarginFn>();
// The factory's options follow its defaults, plus s and gradient.
expectTypeOf(linearAngular).parameter(0).toEqualTypeOf<{ m?: number } & { s?: number; gradient?: 'exact' | 'straight-through' } | undefined>();
