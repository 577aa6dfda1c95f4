import { readdirSync } from 'node:fs';
import { readText, repoPath } from './repo.js';

/** The provisioned Grafana dashboards, as the static checks and the live Prometheus test read them. */
export interface DataSourceRef {
  type?: string;
  uid?: string;
}
export interface Target {
  refId: string;
  datasource?: DataSourceRef;
  expr?: string;
  query?: string;
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
  gridPos: { h: number; w: number; x: number; y: number };
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; datasource?: DataSourceRef; query: string | { query: string } }[] };
}

export const DASHBOARD_DIR = 'monitoring/grafana/dashboards';

export const dashboards: { file: string; dashboard: Dashboard }[] = readdirSync(repoPath(DASHBOARD_DIR))
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readText(`${DASHBOARD_DIR}/${file}`)) as Dashboard }));

export const dashboardByUid = (uid: string): Dashboard => {
  const found = dashboards.find((d) => d.dashboard.uid === uid);
  if (!found) throw new Error(`No dashboard with uid ${uid} in ${DASHBOARD_DIR}`);
  return found.dashboard;
};

export const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every Prometheus query of a dashboard, named by where it is (`uid / panel title / refId`). */
export const prometheusQueries = (dashboard: Dashboard): { where: string; expr: string }[] =>
  allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t): t is Target & { expr: string } => typeof t.expr === 'string')
      .map((t) => ({ where: `${dashboard.uid} / ${panel.title} / ${t.refId}`, expr: t.expr })),
  );
