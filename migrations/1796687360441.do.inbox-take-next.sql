-- The inbox's worker takes the next accepted message that is its patient's oldest (store/inbox-queue.ts).
-- A function, so that the plan is the one the queue needs whatever the statistics say: the queue is walked in
-- id order through inbox_accepted_order and stops at the first message it may take, each patient's oldest
-- found by one probe of inbox_accepted_patient. Accepted rows come and go faster than any ANALYZE, and with
-- the statistics of an empty queue PostgreSQL read every queued message and sorted them (a bitmap scan of
-- inbox_status), or planned an older form as a loop over the whole queue per message (8.6 s per take with
-- 3,800 queued). With sorting priced out for this one statement only, the ordered index walk is the plan.
CREATE FUNCTION inbox_take_next() RETURNS SETOF inbox_message
LANGUAGE sql VOLATILE
SET enable_sort = off
AS $$
  SELECT m.* FROM inbox_message m
  WHERE m.status = 'accepted'
    AND m.id = (SELECT oldest.id FROM inbox_message oldest
                WHERE oldest.status = 'accepted' AND oldest.patient_key = m.patient_key
                ORDER BY oldest.patient_key, oldest.id LIMIT 1)
  ORDER BY m.id
  LIMIT 1
  FOR UPDATE OF m SKIP LOCKED
$$;
