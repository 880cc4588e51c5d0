-- An appointment names the visit of its plan's schedule it books (the visit's place in the
-- schedule document's `visits`, from 0), so the window it is held to no longer depends on its
-- free-text label: a relabelled follow-up keeps its window.
--
-- Appointments made before this column existed are matched to their visit by the label they
-- were booked with (what the window check used until now); one whose label was changed, or an
-- extra visit the plan did not lay out, stays NULL.
ALTER TABLE appointments ADD COLUMN plan_visit BIGINT CHECK (plan_visit >= 0);

UPDATE appointments
SET plan_visit = (
    SELECT MIN(visit.ordinality - 1)
    FROM treatment_plans AS plan,
         jsonb_array_elements(plan.schedule::jsonb -> 'visits') WITH ORDINALITY AS visit (value, ordinality)
    WHERE plan.id = appointments.plan_id
      AND visit.value ->> 'label' = appointments.label
)
WHERE plan_id IS NOT NULL;

CREATE INDEX appointments_by_plan_visit ON appointments (plan_id, plan_visit);
