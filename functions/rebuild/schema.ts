/**
 * Schemas of the answers the rebuild triggers read. Only the fields the code uses.
 */
import { z } from 'zod';

/**
 * The `Run` an Azure DevOps "Runs - Run Pipeline" call returns
 * (https://learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline?view=azure-devops-rest-7.1):
 * `id` is the run (build) id; `_links.web.href` is its page.
 */
export const azurePipelinesRunSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().optional(),
  state: z.string().optional(),
  _links: z.object({ web: z.object({ href: z.string() }).optional() }).optional(),
});

/** An Azure DevOps pipeline run, as far as basegate reads it. */
export type AzurePipelinesRun = z.infer<typeof azurePipelinesRunSchema>;
