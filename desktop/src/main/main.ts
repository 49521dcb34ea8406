/*
 * The Electron entry point (package.json "main"). Everything it wires up lives in modules that
 * take Electron's APIs as parameters and are tested in Node without the binary; this file and
 * electron-app.ts are the only ones that load `electron` itself.
 */
import { startDesktopApp } from './electron-app.js';

startDesktopApp();
