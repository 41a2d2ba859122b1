/**
 * An ECharts chart on a canvas (not SVG: hundreds of points redrawn a few times a second
 * cost a canvas almost nothing and add no DOM nodes). Only the chart types we use are
 * bundled. The option is applied with `notMerge: false` so updates are incremental.
 */
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

import { useTheme } from "../lib/theme";

echarts.use([
  LineChart,
  BarChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

export function Chart({
  option,
  height = 200,
  label,
  testId,
}: {
  option: ChartOption;
  height?: number;
  label: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const { theme } = useTheme();

  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, theme === "dark" ? "dark" : undefined, {
      renderer: "canvas",
    });
    chart.current = instance;
    const observer =
      typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => instance.resize()) : null;
    observer?.observe(ref.current);
    return () => {
      observer?.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, [theme]);

  useEffect(() => {
    chart.current?.setOption(
      { backgroundColor: "transparent", animation: false, ...option },
      { lazyUpdate: true },
    );
  }, [option, theme]);

  return (
    <div
      ref={ref}
      style={{ height, width: "100%" }}
      role="img"
      aria-label={label}
      data-testid={testId}
    />
  );
}
