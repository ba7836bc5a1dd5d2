/** The extension's icons, drawn with Lab's icon colour classes so they follow the theme. */
import { LabIcon } from '@jupyterlab/ui-components';

const FLASK = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M9 2h6v2h-1v5.2l5.6 9.4A2 2 0 0 1 17.9 22H6.1a2 2 0 0 1-1.7-3.4L10 9.2V4H9V2zm3 9-2.6 4.5h5.2L12 11z"/>
</svg>`;

const TRACK = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M3 17h3l3-7 4 10 3-6h5v2h-3.8L13 24 9 14l-1.7 5H3z" transform="translate(0 -3)"/>
</svg>`;

const REGISTRY = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2zM5 9.2l6 3v7.4l-6-3V9.2zm8 10.4v-7.4l6-3v7.4l-6 3z"/>
</svg>`;

const PROJECT = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M4 3h10l6 6v12H4V3zm9 1.5V10h5.5L13 4.5zM9 12v7l6-3.5L9 12z"/>
</svg>`;

export const experimentsIcon = new LabIcon({ name: 'mltrack:experiments', svgstr: FLASK });
export const trackIcon = new LabIcon({ name: 'mltrack:track', svgstr: TRACK });
export const registryIcon = new LabIcon({ name: 'mltrack:registry', svgstr: REGISTRY });
export const projectIcon = new LabIcon({ name: 'mltrack:project', svgstr: PROJECT });
