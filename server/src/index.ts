export { loadConfig, type Config } from './config';
export { startServer, openStore, type RunningServer, type ServerOptions } from './server';
