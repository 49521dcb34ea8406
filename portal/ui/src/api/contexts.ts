import { createContext } from '@lit/context';
import type { ApiClient } from './api-client.js';
import type { ReplFeed } from './repl-feed.js';

/** The API client, provided by <codeyard-app> to every element below it. */
export const apiContext = createContext<ApiClient>(Symbol('codeyard-api'));

/** The live feed of repl changes, provided by <codeyard-app>. */
export const feedContext = createContext<ReplFeed>(Symbol('codeyard-feed'));

/**
 * Where the elements run: in a browser, or in Codeyard Desktop's home window (which provides
 * 'desktop'; there a card needs no "Open in desktop app" link). Not provided means the browser.
 */
export const hostContext = createContext<'browser' | 'desktop'>(Symbol('codeyard-host'));
