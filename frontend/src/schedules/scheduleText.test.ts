import { describe, expect, it } from "vitest";

import { formFieldOf, localText, timingText } from "./scheduleText";

describe("formFieldOf", () => {
  it("puts a server error next to the field it names", () => {
    expect(formFieldOf("cron")).toBe("cron");
    expect(formFieldOf("interval_s")).toBe("interval_s");
    expect(formFieldOf("params.max_categories")).toBe("params");
    expect(formFieldOf("params[2]")).toBe("params");
    expect(formFieldOf("timezone")).toBe("timezone");
  });
  it("keeps the rest for the form as a whole", () => {
    expect(formFieldOf(undefined)).toBe("form");
    expect(formFieldOf("body")).toBe("form");
    expect(formFieldOf("schedule_id")).toBe("form");
  });
});

describe("timingText", () => {
  it("says intervals in the largest whole unit", () => {
    expect(timingText({ interval_s: 10, cron: null, timezone: "UTC" })).toBe("every 10 s");
    expect(timingText({ interval_s: 120, cron: null, timezone: "UTC" })).toBe("every 2 min");
    expect(timingText({ interval_s: 7200, cron: null, timezone: "UTC" })).toBe("every 2 h");
    expect(timingText({ interval_s: 90, cron: null, timezone: "UTC" })).toBe("every 90 s");
  });
  it("says cron with its zone", () => {
    expect(timingText({ interval_s: null, cron: "30 2 * * *", timezone: "Europe/Berlin" })).toBe(
      "cron 30 2 * * * (Europe/Berlin)",
    );
  });
});

describe("localText", () => {
  it("shows the zone's wall time with its offset", () => {
    expect(localText("2026-12-05T02:30:00+01:00")).toBe("2026-12-05 02:30:00 +01:00");
    expect(localText("2026-12-05T01:30:00.250000+00:00")).toBe("2026-12-05 01:30:00 +00:00");
    expect(localText(null)).toBe("–");
  });
});
