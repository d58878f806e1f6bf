-- One row per pipeline step with its run's fields copied in; a run without steps yields one row
-- whose step_* columns are NULL.
-- The reference creates this as a materialized view; it is an ordinary view here because the
-- embedded engine has no materialized views and the data volume does not need them.
SELECT
  p.pipeline_logging_id,
  p.org_slug,
  p.pipeline_id,
  p.status AS pipeline_status,
  p.trigger_type,
  p.trigger_by,
  p.user_id AS pipeline_user_id,
  p.org_api_key_id,
  p.start_time AS pipeline_start_time,
  p.end_time AS pipeline_end_time,
  p.duration_ms AS pipeline_duration_ms,
  p.run_date,
  p.parameters AS pipeline_parameters,
  p.run_metadata,
  p.error_message AS pipeline_error,
  s.step_logging_id,
  s.step_name,
  s.step_type,
  s.step_index,
  s.status AS step_status,
  s.start_time AS step_start_time,
  s.end_time AS step_end_time,
  s.duration_ms AS step_duration_ms,
  s.rows_processed,
  s.error_message AS step_error,
  s.user_id AS step_user_id,
  s.metadata AS step_metadata
FROM `{central}.org_meta_pipeline_runs` p
LEFT JOIN `{central}.org_meta_step_logs` s
  ON p.pipeline_logging_id = s.pipeline_logging_id
  AND p.org_slug = s.org_slug
WHERE p.org_slug = '{org_slug}'
