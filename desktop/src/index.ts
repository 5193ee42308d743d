/**
 * The desktop app. Its main-process sync client (pairing, device key and token, the live sync
 * connection, RxDB replication handlers) is in `./main/sync`, plain Node with no Electron import
 * so that it is tested in Node. The Electron shell, preload and renderer arrive with the desktop
 * issue.
 */
export * from './main/sync';
