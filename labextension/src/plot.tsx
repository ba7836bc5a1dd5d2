/**
 * Metric charts: through Lab's own plotly renderer when an extension provides it (we never
 * bundle plotly.js), else our small SVG overlay.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { ISeries, OverlayChart } from './components';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** The plotly figure of some series, themed through Lab's CSS variables at render time. */
export function plotlyFigure(series: ISeries[], title: string): Record<string, unknown> {
  const style = getComputedStyle(document.body);
  const fg = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
  const grid = style.getPropertyValue('--jp-border-color2').trim() || '#ddd';
  return {
    data: series.map(s => ({ type: 'scatter', mode: 'lines', name: s.label.replace(/</g, '&lt;'), x: s.xs, y: s.ys })),
    layout: {
      title: { text: title },
      height: 280,
      margin: { l: 50, r: 20, t: 40, b: 40 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: fg },
      xaxis: { title: { text: 'step' }, gridcolor: grid },
      yaxis: { gridcolor: grid },
      legend: { orientation: 'h' }
    }
  };
}

export function MetricChart(props: {
  rendermime: IRenderMimeRegistry | null;
  title: string;
  series: ISeries[];
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const usePlotly = !!props.rendermime?.mimeTypes.includes(PLOTLY_MIME);
  React.useEffect(() => {
    if (!usePlotly || !host.current || !props.rendermime) {
      return;
    }
    const renderer = props.rendermime.createRenderer(PLOTLY_MIME);
    const model = props.rendermime.createModel({
      data: { [PLOTLY_MIME]: plotlyFigure(props.series, props.title) as any },
      trusted: true
    });
    Widget.attach(renderer, host.current);
    void renderer.renderModel(model);
    return () => renderer.dispose();
  }, [usePlotly, props.series, props.title]);
  if (usePlotly) {
    return <div className="mltrack-plotly" ref={host} />;
  }
  return <OverlayChart series={props.series} />;
}
