/** The versions this front end speaks (a unit test pins FRONTEND_VERSION to package.json). */
export const FRONTEND_VERSION = '0.1.0';
export const API_VERSION = 1;
