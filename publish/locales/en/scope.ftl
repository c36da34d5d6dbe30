# What an editor tied to calendars may correct
# (publish/src/admin/scope.rs): the API and the console.

console-scope-title = Outside your calendars
scope-event = The event { $id } belongs to none of your calendars ({ $calendars }): you can neither see nor change it here. Ask an admin or an editor of its calendar.
scope-venue = No event of your calendars ({ $calendars }) takes place at “{ $id }”: you cannot edit or merge this venue. Ask an admin.
scope-manual = None of your calendars ({ $calendars }) includes the events entered by hand: an admin must add “{ $source }” to the calendar’s sources.
scope-undo = Change { $id } of the audit trail concerns no event or venue of your calendars ({ $calendars }): only an admin can undo it.
