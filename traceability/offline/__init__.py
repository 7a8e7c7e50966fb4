"""The field app on the phone: installable, working with no signal, saving to an outbox first.

The pages stay server-rendered forms (they work without JavaScript, online, as before). With
JavaScript, ``static/js/field.js`` saves each record to IndexedDB under a UUID made on the phone
and ``static/js/outbox.js`` sends it to the JSON API when there is a network; the service worker
served here keeps the field pages and their pick lists on the phone for the signed-in member.
"""
