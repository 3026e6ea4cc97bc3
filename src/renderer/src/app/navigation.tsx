// Cross-view links: a view asks to show a feature page, a logged experiment or a feature in the
// playground, and App switches to the view that owns it and hands it the request. A request
// carries a serial number so asking twice for the same thing still acts the second time.
import { createContext, useContext } from 'react';

export type NavTarget =
  | { to: 'feature'; saeId: number; idx: number }
  | { to: 'experiment'; citeId: string }
  | { to: 'playground'; saeId: number; idx: number; /** A prompt to start from (the feature's top example). */ prompt?: string };

export type NavRequest<T extends NavTarget['to'] = NavTarget['to']> = Extract<NavTarget, { to: T }> & { serial: number };

export const NavigateContext = createContext<(target: NavTarget) => void>(() => {});

/** Call with a target to switch to the view that shows it. */
export function useNavigate(): (target: NavTarget) => void {
  return useContext(NavigateContext);
}

/** The request for one destination, if the latest request is for it. */
export function requestFor<T extends NavTarget['to']>(request: NavRequest | undefined, to: T): NavRequest<T> | undefined {
  return request?.to === to ? (request as NavRequest<T>) : undefined;
}
