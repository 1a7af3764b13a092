export { decideUiExposure, isLoopbackHost, type UiExposure } from './exposure.js';
export { type DashboardOptions, DEFAULT_UI_PORT, parseUiPort, startDashboard } from './serve.js';
export {
  defaultAssetsDir,
  startUiServer,
  type UiCredentials,
  type UiServer,
  type UiServerOptions,
} from './server.js';
